// Community 3D Printer - spool hub
// Two 608-2RS bearings are pressed into the ends of the bore; the hub turns on an
// ISO 4017 M8x40 bolt through the 5 mm spool bracket. Fits spools with a 52-57 mm bore.
// Units: mm. Print in PETG, flange down, 4 perimeters, 30 % infill.
// The committed STL is a low-poly (8-sided) preview; export from here for printing.

/* [Hub] */
hub_d    = 50;     // spool bore 52 mm minimum
hub_l    = 22;
flange_d = 70;
flange_t = 3;

/* [Bearings: 608-2RS, 8 x 22 x 7] */
bearing_od = 22;
press_fit  = -0.1; // negative = interference; tune for your printer (0 to -0.15)

segments = 96;     // use 8 to reproduce the committed preview STL

bore = bearing_od + press_fit;

difference() {
    union() {
        cylinder(d = flange_d, h = flange_t, $fn = segments);
        cylinder(d = hub_d, h = flange_t + hub_l, $fn = segments);
    }
    translate([0, 0, -1]) cylinder(d = bore, h = flange_t + hub_l + 2, $fn = segments);
}

// Bolt length check: hub + bracket + washer + nut must stay under 40 mm minus 1.5 mm of thread
echo(str("grip: ", flange_t + hub_l + 5 + 1.6 + 6.5, " mm for an M8x40 bolt"));
