// Indirect Solar Food Dryer - exhaust vent slider (two per dryer)
// A plain cover plate with a grip that slides in two 12 mm plywood rebates over the
// 140 x 30 mm exhaust slots under the roof. Closing the vents raises the cabinet
// temperature on cool mornings; open them fully at midday.
// Units: mm. Print in ASA or UV-stabilised PETG (PLA softens above 55 C in the sun).

/* [Plate] */
plate_l = 160;    // 140 mm slot + 10 mm overlap each side
plate_w = 40;     // 30 mm slot + 5 mm overlap each side
plate_t = 3;      // fits a 3.5 mm rebate

/* [Grip] */
grip_l = 16;
grip_w = 12;
grip_h = 10;

module vent_slider() {
    translate([-plate_l / 2, -plate_w / 2, 0]) cube([plate_l, plate_w, plate_t]);
    translate([-grip_l / 2, -grip_w / 2, plate_t]) cube([grip_l, grip_w, grip_h]);
}

vent_slider();
