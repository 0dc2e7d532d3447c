// Timber Tiny House 18 - prefabricated stud wall panel
// Units: mm. Studs and plates: C24 spruce 45 x 145 (KVH). Racking: OSB/3 18 mm inside.
// One module covers every panel of the house: set panel_len and the openings list.
// The elevation of panel S1 (south wall, left half) is exported as cad/wall-panel.dxf.

/* [Panel] */
panel_len = 3000;     // along the wall
panel_h   = 2400;     // bottom of sole plate to top of top plate
stud_w    = 45;
stud_d    = 145;      // wall depth = insulation thickness
spacing   = 600;      // stud centres, matches 1250 mm OSB sheets with a 25 mm overlap rule
osb_t     = 18;

/* [Openings] */
// [x of left edge from panel start, clear width, sill height, head height]; sill 0 = door
openings = [
    [ 900, 1200, 900, 2100],   // living-room window 1200 x 1200
];
header_h = 145;                // 2 x 45 x 145 on edge, nailed together

show_osb = true;

module member(x, z, w, h) {      // a member seen in elevation, full wall depth
    translate([x, 0, z]) cube([w, stud_d, h]);
}

function in_opening(x) =
    len([for (o = openings) if (x + stud_w > o[0] - stud_w && x < o[0] + o[1] + stud_w) 1]) > 0;

module frame() {
    color("tan") {
        member(0, 0, panel_len, stud_w);                          // sole plate
        member(0, panel_h - stud_w, panel_len, stud_w);           // top plate
        // regular studs, skipped where an opening is
        for (x = [0 : spacing : panel_len - stud_w])
            if (!in_opening(x)) member(x, stud_w, stud_w, panel_h - 2 * stud_w);
        member(panel_len - stud_w, stud_w, stud_w, panel_h - 2 * stud_w);   // end stud
        for (o = openings) {
            x0 = o[0]; w = o[1]; sill = o[2]; head = o[3];
            // king studs and trimmers
            member(x0 - 2 * stud_w, stud_w, stud_w, panel_h - 2 * stud_w);
            member(x0 + w + stud_w, stud_w, stud_w, panel_h - 2 * stud_w);
            member(x0 - stud_w, stud_w, stud_w, head - stud_w);
            member(x0 + w, stud_w, stud_w, head - stud_w);
            // header and cripples above
            member(x0 - stud_w, head, w + 2 * stud_w, header_h);
            for (x = [x0 : spacing / 2 : x0 + w - stud_w])
                member(x, head + header_h, stud_w, panel_h - stud_w - head - header_h);
            // sill and cripples below (windows only)
            if (sill > 0) {
                member(x0, sill - stud_w, w, stud_w);
                for (x = [x0 : spacing / 2 : x0 + w - stud_w])
                    member(x, stud_w, stud_w, sill - 2 * stud_w);
            }
        }
    }
}

module osb() {
    color("burlywood", 0.5) translate([0, -osb_t, 0]) difference() {
        cube([panel_len, osb_t, panel_h]);
        for (o = openings)
            translate([o[0], -1, o[2] > 0 ? o[2] : -1]) cube([o[1], osb_t + 2, o[3] - max(o[2], 0) + (o[2] > 0 ? 0 : 1)]);
    }
}

frame();
if (show_osb) osb();

studs = len([for (x = [0 : spacing : panel_len - stud_w]) if (!in_opening(x)) 1]) + 1 + 4 * len(openings);
echo(str("Full-height and trimmer studs: ", studs, ", plates: 2 x ", panel_len, " mm"));
