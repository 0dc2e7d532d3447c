// Small Wind Turbine 1.8 m - magnet rotor disc (two per alternator)
// Units: mm. Material: S275 steel, 10 mm. Export 2D profile: cad/magnet-rotor.dxf
// Layer convention in the DXF: OUTLINE and HOLES are cut; MAGNET-JIG is scribed only.

/* [Disc] */
disc_d      = 250;
thickness   = 10;
centre_hole = 60;     // clears the hub spigot

/* [Trailer hub] */
stud_pcd    = 100;    // 4 x M12 studs on 100 mm PCD
stud_hole   = 13;
stud_count  = 4;

/* [Jacking screws, front rotor only] */
jack_pcd    = 140;
jack_tap    = 8.5;    // tapping drill for M10
jack_count  = 3;

/* [Magnets] */
magnet_count = 8;      // 8 poles; alternate N and S
magnet_l     = 46;     // radial length
magnet_w     = 30;     // tangential width
magnet_t     = 10;     // thickness, magnetised through
magnet_outer = 125;    // outer end of the magnet from the centre (flush with the rim)

$fn = 120;

module disc_2d() {
    difference() {
        circle(d = disc_d);
        circle(d = centre_hole);
        for (i = [0 : stud_count - 1])
            rotate(45 + i * 360 / stud_count) translate([stud_pcd / 2, 0]) circle(d = stud_hole, $fn = 48);
        for (i = [0 : jack_count - 1])
            rotate(90 + i * 360 / jack_count) translate([jack_pcd / 2, 0]) circle(d = jack_tap, $fn = 48);
    }
}

module magnet_positions_2d() {
    for (i = [0 : magnet_count - 1])
        rotate(i * 360 / magnet_count)
            translate([magnet_outer - magnet_l, -magnet_w / 2]) square([magnet_l, magnet_w]);
}

view = "plate";   // "plate" for DXF export, "jig" for the scribing marks, "3d" for a preview

if (view == "plate") disc_2d();
if (view == "jig") magnet_positions_2d();
if (view == "3d") {
    color("silver") linear_extrude(height = thickness) disc_2d();
    for (i = [0 : magnet_count - 1])
        color(i % 2 == 0 ? "firebrick" : "steelblue")
            translate([0, 0, thickness]) linear_extrude(height = magnet_t)
                rotate(i * 360 / magnet_count)
                    translate([magnet_outer - magnet_l, -magnet_w / 2]) square([magnet_l, magnet_w]);
}

// gap between neighbouring magnets at their inner end, must stay > 0
inner_gap = 2 * PI * (magnet_outer - magnet_l) / magnet_count - magnet_w;
echo(str("Gap between magnets at inner end: ", inner_gap, " mm"));
