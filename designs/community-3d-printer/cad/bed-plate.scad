// Community 3D Printer - heated bed plate
// Units: mm. Material: EN AW-5083 cast tooling plate, 6 mm (flat and stress-relieved; do not
// substitute rolled 6061, which warps when heated to 100 C).
// Three-point kinematic mount: two screws at the front corners, one at the back centre,
// each on a 10 mm silicone spacer. Export 2D profile: cad/bed-plate.dxf

/* [Plate] */
size      = 270;     // 250 mm print area + 10 mm each side for clips and the nozzle wipe
thickness = 6;
corner_r  = 8;

/* [Mounting] */
mount_d     = 5.5;   // M5 clearance
mount_inset = 15;    // from the front and side edges
back_inset  = 15;    // back centre screw from the back edge

/* [Thermistor] */
therm_d   = 3.2;     // 100k NTC glass bead in thermal paste, 3 mm deep pocket
therm_pos = [135, 135];

$fn = 48;

mounts = [[mount_inset, mount_inset],
          [size - mount_inset, mount_inset],
          [size / 2, size - back_inset]];

module plate_2d() {
    difference() {
        hull() for (x = [corner_r, size - corner_r], y = [corner_r, size - corner_r])
            translate([x, y]) circle(r = corner_r);
        for (m = mounts) translate(m) circle(d = mount_d);
    }
}

view = "plate";   // "plate" for DXF export, "3d" for a preview with the heater

if (view == "plate") plate_2d();
else {
    difference() {
        color("silver") linear_extrude(height = thickness) plate_2d();
        translate([therm_pos[0], therm_pos[1], -1]) cylinder(d = therm_d, h = 4);   // from below
    }
    // 250 x 250 mm, 200 W silicone heater bonded underneath
    color("darkorange") translate([10, 10, -1.5]) cube([250, 250, 1.5]);
}

echo(str("Heater power density: ", 200 / (25 * 25), " W/cm2 (aim for 0.3 or more)"));
