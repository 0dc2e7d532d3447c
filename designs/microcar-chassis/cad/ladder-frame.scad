// Microcar Chassis L6e - ladder frame with front suspension bracket positions
// Units: mm. Tube: EN 10219 40x40x3 S355J2H. Origin: front end of the left rail, rail top at z = 40.
// The 1:1 top-view welding jig is exported as cad/ladder-frame-jig.dxf.

/* [Frame] */
frame_len   = 2600;
frame_width = 900;          // outside of rail to outside of rail
tube        = 40;
wall        = 3;
// cross member positions from the front (leading face of the tube)
cross_x     = [0, 300, 650, 1200, 1700, 2200, 2560];

/* [Suspension] */
front_axle  = 450;          // wheelbase 1800 with rear_axle
rear_axle   = 2250;
track       = 1150;
// wishbone inner pivots: [x, z] pairs on each rail, upper and lower
pivots      = [[330, 0], [620, 0], [360, 230], [590, 230]];
tower_h     = 260;          // front suspension tower above the rail

$fn = 24;

module shs_x(len) {
    difference() {
        cube([len, tube, tube]);
        translate([-1, wall, wall]) cube([len + 2, tube - 2 * wall, tube - 2 * wall]);
    }
}

module shs_y(len) {
    difference() {
        cube([tube, len, tube]);
        translate([wall, -1, wall]) cube([tube - 2 * wall, len + 2, tube - 2 * wall]);
    }
}

module shs_z(len) {
    difference() {
        cube([tube, tube, len]);
        translate([wall, wall, -1]) cube([tube - 2 * wall, tube - 2 * wall, len + 2]);
    }
}

module rails() {
    shs_x(frame_len);
    translate([0, frame_width - tube, 0]) shs_x(frame_len);
}

module cross_members() {
    for (x = cross_x) translate([x, tube, 0]) shs_y(frame_width - 2 * tube);
}

// Front suspension towers on both rails between the two front cross members,
// joined at the top by a 40x40 beam that carries the upper wishbone brackets.
module towers() {
    for (y = [0, frame_width - tube], x = [300, 610])
        translate([x, y, tube]) shs_z(tower_h);
    for (y = [0, frame_width - tube])
        translate([300, y, tube + tower_h]) shs_x(350);
}

// Wishbone bracket positions (the brackets themselves: cad/wishbone-bracket.scad)
module bracket_marks() {
    for (p = pivots, side = [0, 1])
        color("red")
            translate([p[0], side == 0 ? -20 : frame_width + 20, p[1] + tube / 2])
                rotate([90, 0, 0]) cylinder(d = 10, h = 4, center = true);
}

module wheels() {
    for (x = [front_axle, rear_axle], s = [-1, 1])
        color("dimgray")
            translate([x, frame_width / 2 + s * track / 2, 60])
                rotate([90, 0, 0]) cylinder(d = 540, h = 155, center = true, $fn = 64);
}

rails();
cross_members();
towers();
bracket_marks();
%wheels();

// Cut list and mass (40x40x3: 444 mm2, 3.49 kg/m)
total = 2 * frame_len + len(cross_x) * (frame_width - 2 * tube) + 4 * tower_h + 2 * 350;
echo(str("40x40x3 total: ", total / 1000, " m, mass about ", round(total / 1000 * 3.49), " kg"));
