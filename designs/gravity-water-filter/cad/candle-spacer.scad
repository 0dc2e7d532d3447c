// Gravity Water Filter - candle spacer (one per candle)
// The underside of most 20 L buckets is ribbed or domed. This ring sits between the bucket
// bottom and the candle's wing nut so the lower silicone washer is clamped evenly and the
// joint does not weep. Units: mm.
// Print in food-contact PP (or PETG), 100 % infill, no supports. Wash before use.
// The committed STL is a low-poly (10-sided) preview; export from here for printing.

/* [Ring] */
bore     = 13;     // clears a 1/2 in candle stem; match the hole you drilled in the bucket
outer_d  = 42;     // covers the 30 mm silicone washer with margin
height   = 4;      // fills typical 3-4 mm rib depth; measure your bucket

segments = 96;     // use 10 to reproduce the committed preview STL

difference() {
    cylinder(d = outer_d, h = height, $fn = segments);
    translate([0, 0, -1]) cylinder(d = bore, h = height + 2, $fn = segments);
}
