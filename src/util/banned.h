/*
 * banned.h - functions that must not be used in gatehouse (git's list plus
 * atoi and friends).  Included last by every .c file of src/, so a use
 * fails to compile.  Use the bounded replacements named in STYLE.md:
 * snprintf, gh_buf, strtoll with range checks.
 */
#ifndef GH_BANNED_H
#define GH_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#undef vsprintf
#define sprintf(...) BANNED(sprintf)
#define vsprintf(...) BANNED(vsprintf)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef ctime_r
#define ctime_r(t, buf) BANNED(ctime_r)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef asctime_r
#define asctime_r(t, buf) BANNED(asctime_r)
#undef atoi
#define atoi(s) BANNED(atoi)
#undef atol
#define atol(s) BANNED(atol)
#undef atoll
#define atoll(s) BANNED(atoll)
#undef gets
#define gets(s) BANNED(gets)
#undef strtok
#define strtok(s, d) BANNED(strtok)
#undef rand
#define rand() BANNED(rand)

#endif /* GH_BANNED_H */
