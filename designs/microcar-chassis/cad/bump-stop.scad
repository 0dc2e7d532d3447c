// Microcar Chassis L6e - suspension bump stop (4 per car)
// Progressive stop that the lower wishbone / trailing arm meets in the last 20 mm of bump travel.
// Units: mm. Print in TPU 95A: 3 perimeters, 25 % gyroid infill (softer = more progressive).
// Fixed with an ISO 4762 M8x20 socket head cap screw into an M8 weld nut on the bracket;
// the screw head sits deep in the counterbore so only the TPU ring makes contact.
// The committed STL is a low-poly (8-sided) preview; export from here for printing.

/* [Flange] */
flange_d = 40;
flange_t = 4;

/* [Body] */
body_d   = 26;
body_h   = 22;     // free length above the flange; compresses about 12 mm at full bump

/* [Fixing] */
bore     = 8.4;    // M8 clearance
head_d   = 14;     // ISO 4762 M8 head is 13 mm
seat_t   = 4;      // TPU clamped under the screw head, above the flange

segments = 96;     // use 8 to reproduce the committed preview STL

difference() {
    union() {
        cylinder(d = flange_d, h = flange_t, $fn = segments);
        cylinder(d = body_d, h = flange_t + body_h, $fn = segments);
    }
    translate([0, 0, -1]) cylinder(d = bore, h = flange_t + body_h + 2, $fn = segments);
    translate([0, 0, flange_t + seat_t]) cylinder(d = head_d, h = body_h, $fn = segments);
}
