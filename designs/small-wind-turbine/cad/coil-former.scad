// Small Wind Turbine 1.8 m - coil winding former
// Units: mm. Print in PETG, 4 perimeters, 40 % infill. Mount on the winder shaft with an M8 bolt.
// The core matches the magnet footprint (46 x 30) so each coil leg sits under one magnet pole.
// The committed STL is the assembled former as a low-poly preview (8-sided bore).

/* [Core: the hole in the finished coil] */
core_l    = 46;    // radial direction of the stator
core_w    = 30;
core_ch   = 6;     // corner chamfer; gives the coil a rounded inside
stator_t  = 13;    // coil thickness = stator thickness

/* [Cheeks] */
cheek_l   = 110;
cheek_w   = 90;
cheek_t   = 3;

/* [Shaft] */
bore      = 8.5;   // M8 winder shaft
split     = false; // true: print the top cheek separately so the coil slides off

module chamfered_rect(l, w, c) {
    polygon([[-l/2 + c, -w/2], [l/2 - c, -w/2], [l/2, -w/2 + c], [l/2, w/2 - c],
             [l/2 - c, w/2], [-l/2 + c, w/2], [-l/2, w/2 - c], [-l/2, -w/2 + c]]);
}

module cheek() {
    translate([-cheek_l / 2, -cheek_w / 2, 0]) cube([cheek_l, cheek_w, cheek_t]);
}

module former() {
    difference() {
        union() {
            cheek();
            translate([0, 0, cheek_t]) linear_extrude(height = stator_t) chamfered_rect(core_l, core_w, core_ch);
            if (!split) translate([0, 0, cheek_t + stator_t]) cheek();
        }
        translate([0, 0, -1]) rotate(22.5) cylinder(d = bore / cos(22.5), h = 2 * cheek_t + stator_t + 2, $fn = 8);
    }
    if (split)
        translate([cheek_l + 10, 0, 0]) difference() {
            cheek();
            translate([0, 0, -1]) rotate(22.5) cylinder(d = bore / cos(22.5), h = cheek_t + 2, $fn = 8);
        }
}

former();
