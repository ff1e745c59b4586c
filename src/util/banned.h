/*
 * banned.h: functions that must not be used in nvault. Included into every
 * library source by the build (-include), so using one is a compile error.
 * Use struct buf (util/buf.h) or snprintf instead.
 */
#ifndef NV_BANNED_H
#define NV_BANNED_H

#define NV_BANNED(func) sorry_##func##_is_banned_use_buf_or_snprintf

#undef strcpy
#define strcpy(x, y) NV_BANNED(strcpy)
#undef strcat
#define strcat(x, y) NV_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) NV_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) NV_BANNED(strncat)
#undef sprintf
#define sprintf(...) NV_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) NV_BANNED(vsprintf)
#undef gets
#define gets(x) NV_BANNED(gets)

#endif
