// Microcar Chassis L6e - wishbone pivot bracket (8 per car), folded U clevis
// Units: mm. Material: S355MC, 4 mm, laser cut and bent on a press brake (V-die 32 mm).
// Welded to the frame: fillet welds along both edges of the base plus plug welds through the
// two 9 mm holes. The wishbone bush pivots on an M10x70 10.9 bolt.
// Flat pattern for cutting: cad/wishbone-bracket.dxf (layers OUTLINE, HOLES, BEND).

/* [Sheet] */
t        = 4;
r_in     = 4;      // inside bend radius
k        = 0.33;   // K-factor for S355MC, air bending

/* [Bracket] */
width    = 50;     // along the frame rail
base_out = 58;     // outside width of the U: leaves 50 mm clear for a 50 mm wishbone bush
leg_out  = 50;     // outside height of each leg
pivot_d  = 10.5;   // M10 clearance
pivot_h  = 25;     // pivot centre above the outside of the base
base_d   = 9;      // plug-weld holes (also take an M8 bolt to hold the bracket in the jig)
base_pitch = 25;   // two holes along the rail

ba   = PI / 2 * (r_in + k * t);     // bend allowance per 90 deg bend
leg_flat  = leg_out - (r_in + t);
base_flat = base_out - 2 * (r_in + t);
flat_len  = 2 * leg_flat + base_flat + 2 * ba;

module flat_pattern() {
    difference() {
        hull() {
            translate([leg_out - pivot_h, width / 2]) circle(d = width, $fn = 64);
            translate([flat_len - (leg_out - pivot_h), width / 2]) circle(d = width, $fn = 64);
        }
        for (x = [leg_out - pivot_h, flat_len - (leg_out - pivot_h)])
            translate([x, width / 2]) circle(d = pivot_d, $fn = 48);
        for (dy = [-base_pitch / 2, base_pitch / 2])
            translate([flat_len / 2, width / 2 + dy]) circle(d = base_d, $fn = 48);
    }
}

// Folded part for checking clearances in the assembly
module folded() {
    inner = base_out - 2 * t;
    difference() {
        union() {
            cube([base_out, width, t]);                                 // base
            for (x = [0, base_out - t]) translate([x, 0, 0]) cube([t, width, leg_out]);
        }
        translate([-1, width / 2, pivot_h]) rotate([0, 90, 0]) cylinder(d = pivot_d, h = base_out + 2, $fn = 48);
        for (dy = [-base_pitch / 2, base_pitch / 2])
            translate([base_out / 2, width / 2 + dy, -1]) cylinder(d = base_d, h = t + 2, $fn = 48);
    }
    echo(str("clear width between legs: ", inner, " mm"));
}

view = "flat";   // "flat" for DXF export, "folded" for the assembly
if (view == "flat") flat_pattern(); else folded();

echo(str("flat length ", flat_len, " mm, bend lines at ", leg_flat + ba / 2, " and ", flat_len - leg_flat - ba / 2, " mm"));
