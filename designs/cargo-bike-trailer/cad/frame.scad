// Cargo Bike Trailer - welded bed frame
// Units: mm. Tube: EN 10219 square hollow section 25x25x2, S235JRH.
// Origin: rear-left corner of the bed, top of the frame at z = tube.
// The 1:1 welding jig drawing is exported as cad/frame-jig.dxf.

/* [Bed] */
bed_length  = 1200;  // outer length of the bed frame
bed_width   = 600;   // outer width of the bed frame
cross_count = 3;     // intermediate cross members

/* [Tube] */
tube = 25;           // square tube outer size
wall = 2;            // wall thickness

/* [Wheels] */
axle_x    = 500;     // axle from rear edge; ~5 % tongue load with an evenly spread load
hub_old   = 100;     // front hub over-locknut dimension
wheel_d   = 500;     // ISO 406 rim with 47 mm tyre
arm_gap   = 30;      // clearance between tyre and outrigger tubes
dropout_t = 5;       // dropout plate thickness
dropout_h = 45;      // dropout plate height below the frame

/* [Drawbar] */
drawbar_len = 1300;  // centre-to-centre, frame corner to hitch pivot
hitch_y     = 210;   // hitch pivot position across the bed (left axle end of the bike)

$fn = 32;

// Hollow square tube along +X.
module tube_x(len) {
    difference() {
        cube([len, tube, tube]);
        translate([-1, wall, wall]) cube([len + 2, tube - 2 * wall, tube - 2 * wall]);
    }
}

// Hollow square tube along +Y.
module tube_y(len) {
    difference() {
        cube([tube, len, tube]);
        translate([wall, -1, wall]) cube([tube - 2 * wall, len + 2, tube - 2 * wall]);
    }
}

// Dropout plate with a downward-open 9.5 mm slot for a 9 mm QR axle.
module dropout() {
    difference() {
        translate([-25, 0, -dropout_h]) cube([50, dropout_t, dropout_h + tube]);
        hull() {
            translate([0, -1, -dropout_h + 18]) rotate([-90, 0, 0]) cylinder(d = 9.5, h = dropout_t + 2);
            translate([0, -1, -dropout_h - 5]) rotate([-90, 0, 0]) cylinder(d = 9.5, h = dropout_t + 2);
        }
    }
}

// Bed: two side rails, two end members, evenly spaced cross members.
module bed() {
    tube_x(bed_length);
    translate([0, bed_width - tube, 0]) tube_x(bed_length);
    inner = bed_width - 2 * tube;
    for (i = [0 : cross_count + 1])
        translate([i * (bed_length - tube) / (cross_count + 1), tube, 0]) tube_y(inner);
}

// Wheel outrigger on the left side (y < 0); mirrored for the right side.
module outrigger() {
    reach = hub_old + 2 * dropout_t + tube;      // rail face to outer face of outer rail
    span  = wheel_d + 2 * arm_gap;               // clear length for the wheel
    for (dx = [-span / 2 - tube, span / 2])
        translate([axle_x + dx, -reach, 0]) tube_y(reach);
    translate([axle_x - span / 2 - tube, -reach, 0]) tube_x(span + 2 * tube);
    // inner and outer dropouts, centred on the axle
    translate([axle_x, -dropout_t, 0]) dropout();
    translate([axle_x, -reach + tube, 0]) dropout();
}

module drawbar() {
    dx = sqrt(pow(drawbar_len, 2) - pow(hitch_y - tube / 2, 2));
    a  = atan2(hitch_y - tube / 2, dx);
    translate([bed_length, 0, 0]) rotate([0, 0, a]) tube_x(drawbar_len);
}

bed();
outrigger();
translate([0, bed_width, 0]) mirror([0, 1, 0]) outrigger();
drawbar();

// Cut list summary (printed in the console on F5/F6)
span = wheel_d + 2 * arm_gap;
reach = hub_old + 2 * dropout_t + tube;
total = 2 * bed_length + (cross_count + 2) * (bed_width - 2 * tube)
      + 2 * (2 * reach + span + 2 * tube) + drawbar_len;
echo(str("25x25x2 tube total: ", total / 1000, " m (order +5 % for saw kerf and offcuts)"));
echo(str("Track: ", bed_width + hub_old + 2 * dropout_t, " mm, overall width: ", bed_width + 2 * reach, " mm"));
