// This file implements now_rfc3339 (clock.h).
#include "engine/sys/clock.h"

#include <chrono>
#include <cstdio>

namespace hako::sys {

std::string now_rfc3339() {
    auto now = std::chrono::system_clock::now();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    auto day = std::chrono::floor<std::chrono::days>(now);
    std::chrono::year_month_day date{day};
    std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(now - day)};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lldZ", int(date.year()), unsigned(date.month()),
                  unsigned(date.day()), int(time.hours().count()), int(time.minutes().count()),
                  int(time.seconds().count()), static_cast<long long>(ns % 1000000000));
    return buf;
}

}  // namespace hako::sys
