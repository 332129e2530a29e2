/*
 * holidays.c - China's public holidays (法定节假日) as the State Council
 * lays them out each year, for the PH selector.
 *
 * Every year the General Office of the State Council publishes a notice
 * (国务院办公厅关于 YYYY 年部分节假日安排的通知) fixing each holiday's
 * break and the weekend days worked to make up for it (调休上班).  Lunar
 * holidays move and the make-up days are decided case by case, so the
 * dates cannot be computed: they are copied from the notices, one line per
 * holiday, below.  Adding a year is adding its lines.
 *
 * What counts as PH: every day of a break (放假), including the weekend
 * days the notice joins to it ("与周末连休"), because that is when museums
 * and memorial halls apply their holiday hours.  The make-up working days
 * are kept too (hours_cn_day reports them) but they do not change what
 * Sa or Su select: opening_hours has no selector for them, and sites keep
 * their weekly schedule on those days.
 *
 * When is a date known?  When its year's notice is in the table, and, for
 * the last days of December, the next year's too: a notice may start the
 * New Year break before 1 January (the 2019 notice gave 2018-12-30 and -31
 * off and made 2018-12-29 a working day).
 */
#include <stdint.h>

#include "hours_int.h"

/* Dates are written YYYYMMDD. */
#define YMD(d) ((int32_t)(d).year * 10000 + (d).month * 100 + (d).day)
/* From this day of December on, the next year's notice is needed too. */
#define DEC_REACH_BACK_DAY 25
#define MAX_MAKEUP 3

struct cn_break {
	int notice;          /* the year of the notice */
	int32_t first, last; /* days off, inclusive */
	const char *name;
	int32_t makeup[MAX_MAKEUP]; /* make-up working days, 0 after the last */
};

/*
 * The notices (dates and make-up days as published):
 *   2024: 国务院办公厅关于2024年部分节假日安排的通知, 2023-10-25.
 *   2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号),
 *         2024-11-12, the first under the amended 全国年节及纪念日放假办法
 *         (New Year's Eve and 2 May added).
 *   2026: 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04.
 */
static const struct cn_break cn_breaks[] = {
    {2024, 20231230, 20240101, "元旦 New Year's Day", {0}},
    {2024, 20240210, 20240217, "春节 Spring Festival", {20240204, 20240218}},
    {2024, 20240404, 20240406, "清明节 Qingming Festival", {20240407}},
    {2024, 20240501, 20240505, "劳动节 Labour Day", {20240428, 20240511}},
    {2024, 20240608, 20240610, "端午节 Dragon Boat Festival", {0}},
    {2024, 20240915, 20240917, "中秋节 Mid-Autumn Festival", {20240914}},
    {2024, 20241001, 20241007, "国庆节 National Day", {20240929, 20241012}},

    {2025, 20250101, 20250101, "元旦 New Year's Day", {0}},
    {2025, 20250128, 20250204, "春节 Spring Festival", {20250126, 20250208}},
    {2025, 20250404, 20250406, "清明节 Qingming Festival", {0}},
    {2025, 20250501, 20250505, "劳动节 Labour Day", {20250427}},
    {2025, 20250531, 20250602, "端午节 Dragon Boat Festival", {0}},
    {2025, 20251001, 20251008, "国庆节、中秋节 National Day, Mid-Autumn Festival", {20250928, 20251011}},

    {2026, 20260101, 20260103, "元旦 New Year's Day", {20260104}},
    {2026, 20260215, 20260223, "春节 Spring Festival", {20260214, 20260228}},
    {2026, 20260404, 20260406, "清明节 Qingming Festival", {0}},
    {2026, 20260501, 20260505, "劳动节 Labour Day", {20260509}},
    {2026, 20260619, 20260621, "端午节 Dragon Boat Festival", {0}},
    {2026, 20260925, 20260927, "中秋节 Mid-Autumn Festival", {0}},
    {2026, 20261001, 20261007, "国庆节 National Day", {20260920, 20261010}},
};

#define NBREAKS (sizeof cn_breaks / sizeof cn_breaks[0])

static bool notice_known(int year)
{
	for (size_t i = 0; i < NBREAKS; i++)
		if (cn_breaks[i].notice == year)
			return true;
	return false;
}

void hours_cn_years(int *first, int *last)
{
	int lo = cn_breaks[0].notice, hi = lo;
	for (size_t i = 1; i < NBREAKS; i++) {
		lo = cn_breaks[i].notice < lo ? cn_breaks[i].notice : lo;
		hi = cn_breaks[i].notice > hi ? cn_breaks[i].notice : hi;
	}
	*first = lo;
	*last = hi;
}

enum hours_cn_day hours_cn_day(struct hours_date d, const char **name)
{
	if (name)
		*name = NULL;
	if (!hours_date_valid(d) || !notice_known(d.year) ||
	    (d.month == 12 && d.day >= DEC_REACH_BACK_DAY && !notice_known(d.year + 1)))
		return HOURS_CN_UNKNOWN;
	int32_t ymd = YMD(d);
	for (size_t i = 0; i < NBREAKS; i++) {
		const struct cn_break *b = &cn_breaks[i];
		if (ymd >= b->first && ymd <= b->last) {
			if (name)
				*name = b->name;
			return HOURS_CN_HOLIDAY;
		}
		for (int k = 0; k < MAX_MAKEUP && b->makeup[k]; k++) {
			if (b->makeup[k] == ymd) {
				if (name)
					*name = b->name;
				return HOURS_CN_WORKDAY;
			}
		}
	}
	return HOURS_CN_REGULAR;
}
