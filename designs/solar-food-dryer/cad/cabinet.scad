// Indirect Solar Food Dryer - drying cabinet with collector and chimney
// Units: mm, degrees. Panels: 12 mm BS 1088 marine plywood.
// Origin: front-left-bottom corner of the cabinet box (legs below z = 0).
// The side panel profile is exported as cad/side-panel.dxf (set view = "side_panel").

/* [Panels] */
ply = 12;

/* [Cabinet interior] */
inner_w = 616;         // 600 mm trays + 8 mm runner clearance each side
inner_d = 520;         // 500 mm trays + 20 mm for the door
inner_h = 1176;        // 1200 mm side panels minus roof and floor thickness
leg_h   = 800;         // cabinet floor above ground; keeps the low end of a 20 deg collector clear

/* [Trays] */
tray_count   = 6;
tray_w       = 600;
tray_d       = 500;
tray_first_z = 250;    // above the floor: 200 mm plenum for the incoming warm air
tray_pitch   = 120;
runner       = 22;     // 22 x 22 batten runners

/* [Collector] */
collector_l    = 2000;
collector_w    = 900;
collector_t    = 100;  // air channel 60 mm + insulation + glazing
collector_tilt = 20;   // roughly latitude + 15 deg for the dry season; 20 deg near the equator
inlet_h        = 120;  // inlet slot in the front panel, full inner width

/* [Chimney] */
chimney_d = 150;
chimney_h = 1000;

view = "assembly";     // "assembly" or "side_panel"

outer_w = inner_w + 2 * ply;
outer_d = inner_d + 2 * ply;
outer_h = inner_h + 2 * ply;

module side_panel_2d() {
    difference() {
        square([outer_d, outer_h]);
        // 3 mm pilot holes for the tray runners, three per runner
        for (i = [0 : tray_count - 1], x = [60, outer_d / 2, outer_d - 60])
            translate([x, ply + tray_first_z + i * tray_pitch - runner / 2]) circle(d = 3, $fn = 16);
    }
}

module box() {
    color("burlywood") {
        for (x = [0, outer_w - ply])                         // sides
            translate([x, 0, 0]) rotate([90, 0, 90]) linear_extrude(ply) side_panel_2d();
        translate([ply, 0, ply + inlet_h]) cube([inner_w, ply, inner_h - inlet_h]);   // front above the inlet
        translate([ply, outer_d - ply, ply]) cube([inner_w, ply, inner_h]);            // rear door
        translate([ply, ply, 0]) cube([inner_w, inner_d, ply]);                        // floor
        translate([ply, 0, outer_h - ply]) cube([inner_w, outer_d, ply]);              // roof
    }
}

module trays() {
    for (i = [0 : tray_count - 1]) {
        z = ply + tray_first_z + i * tray_pitch;
        color("silver") translate([ply + 8, ply + 10, z]) cube([tray_w, tray_d, 2]);
        color("peru") for (x = [ply, outer_w - ply - runner])
            translate([x, ply, z - runner]) cube([runner, inner_d, runner]);
    }
}

module collector() {
    // hinged at the bottom edge of the inlet, rising towards the cabinet
    translate([(outer_w - collector_w) / 2, 0, ply])
        rotate([collector_tilt, 0, 0])
            translate([0, -collector_l, -collector_t]) {
                color("dimgray") cube([collector_w, collector_l, collector_t - 10]);
                color("lightblue", 0.4) translate([0, 0, collector_t - 10]) cube([collector_w, collector_l, 10]);
            }
}

module chimney() {
    color("gainsboro")
        translate([outer_w / 2, outer_d / 2, outer_h])
            difference() {
                cylinder(d = chimney_d, h = chimney_h, $fn = 48);
                translate([0, 0, -1]) cylinder(d = chimney_d - 1.2, h = chimney_h + 2, $fn = 48);
            }
}

module legs() {
    color("sienna") for (x = [0, outer_w - 45], y = [0, outer_d - 45])
        translate([x, y, -leg_h]) cube([45, 45, leg_h]);
}

if (view == "side_panel") side_panel_2d();
else translate([0, 0, leg_h]) { box(); trays(); collector(); chimney(); legs(); }

echo(str("Tray area: ", tray_count * tray_w * tray_d / 1e6, " m2, collector area: ",
         collector_l * collector_w / 1e6, " m2"));
