// Desktop CNC Router - leadscrew spacer
// Sits between the 608-2RS idle-end bearing and the clamping collar on the T8 leadscrew,
// so the collar bears on the inner race only. Four per machine.
// Units: mm. Print in PETG, 100 % infill, 0.15 mm layers.
// The committed STL is a low-poly (10 segments) preview; export from here for printing.

/* [Spacer] */
bore       = 8.3;    // T8 leadscrew major diameter is 8.0 mm
outer      = 11.5;   // must stay below the 608 inner race OD (about 12 mm) to clear the seals
length     = 6;
segments   = 96;     // use 10 to reproduce the committed preview STL

difference() {
    cylinder(d = outer, h = length, $fn = segments);
    translate([0, 0, -1]) cylinder(d = bore, h = length + 2, $fn = segments);
}
