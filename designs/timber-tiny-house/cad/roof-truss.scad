// Timber Tiny House 18 - king-post roof truss with plywood gussets (11 per house, 600 mm centres)
// Units: mm, degrees. Chords: C24 spruce 45 x 95. Gussets: 18 mm birch plywood both faces,
// glued (PU D4) and screwed 4.5 x 40 at 50 mm grid. Gusset outlines: cad/truss-gusset.dxf.

/* [Geometry] */
span     = 3000;   // outside of wall to outside of wall
pitch    = 30;
overhang = 300;    // horizontal, measured from the outside of the wall
member_w = 95;     // depth of the chords in the truss plane
member_t = 45;     // thickness (out of plane)

/* [Gussets] */
gusset_t    = 18;
apex_w      = 520;
apex_h      = 300;
heel_l      = 460;
centre_w    = 300;
centre_h    = 240;

rise = span / 2 * tan(pitch);
rafter_len = (span / 2 + overhang) / cos(pitch);

module bar(len) { cube([len, member_t, member_w]); }

module top_chord() {
    // lower edge passes through the wall outside at z = 0
    translate([-overhang, 0, -overhang * tan(pitch)]) rotate([0, -pitch, 0]) bar(rafter_len);
}

module truss_timber() {
    color("tan") {
        top_chord();                                                      // mitre both at the apex
        translate([span, member_t, 0]) rotate([0, 0, 180]) top_chord();
        bar(span);                                                        // bottom chord
        translate([span / 2 - member_t / 2 + member_t, 0, member_w])      // king post
            rotate([0, -90, 0]) cube([rise - member_w, member_t, member_t]);
    }
}

module apex_gusset_2d() {
    polygon([[-apex_w / 2, 0], [apex_w / 2, 0], [apex_w / 2, apex_h - apex_w / 2 * tan(pitch)],
             [0, apex_h], [-apex_w / 2, apex_h - apex_w / 2 * tan(pitch)]]);
}

module heel_gusset_2d() {
    // covers the bottom chord over heel_l and the top chord to about half of that
    polygon([[0, 0], [heel_l, 0], [heel_l, member_w + 40],
             [heel_l * 0.55, heel_l * 0.55 * tan(pitch) + member_w / cos(pitch)],
             [0, member_w / cos(pitch)]]);
}

module gussets() {
    // one gusset on each face of the truss: y = -gusset_t and y = member_t
    color("khaki", 0.8) for (y = [-gusset_t, member_t]) {
        translate([span / 2, y + gusset_t, rise + member_w / cos(pitch) - apex_h])
            rotate([90, 0, 0]) linear_extrude(gusset_t) apex_gusset_2d();
        for (side = [0, 1])
            translate([side * span, y + gusset_t, 0])
                scale([side == 0 ? 1 : -1, 1, 1]) rotate([90, 0, 0]) linear_extrude(gusset_t) heel_gusset_2d();
        translate([span / 2 - centre_w / 2, y + gusset_t, 0])
            rotate([90, 0, 0]) linear_extrude(gusset_t) square([centre_w, centre_h]);
    }
}

truss_timber();
gussets();

echo(str("Rise ", round(rise), " mm, top chord ", round(rafter_len), " mm each, bottom chord ", span, " mm"));
