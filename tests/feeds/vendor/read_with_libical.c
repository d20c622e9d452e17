/*
 * Reads an iCalendar feed with libical (what Evolution, GNOME Calendar and KDE's tools build on) and prints
 * what it reads, one line a fact, fields separated by tabs:
 *
 *   EVENT <uid> <start> <end> <tzid>   start and end as Unix seconds, worked out from the feed's own VTIMEZONE
 *   ERROR <component> <text>           every X-LIC-ERROR libical's parser or its restriction checks raised
 *
 * Usage: read_with_libical FEED.ics
 *
 * A DTSTART whose TZID names no VTIMEZONE in the feed is an error here, rather than being read with
 * libical's own copy of the zone: the point is to read the zone rules the feed itself writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

static char *read_all(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        return NULL;
    }
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity + 1);
    size_t got;
    while (text != NULL && (got = fread(text + size, 1, capacity - size, file)) > 0) {
        size += got;
        if (size == capacity) {
            capacity *= 2;
            text = realloc(text, capacity + 1);
        }
    }
    fclose(file);
    if (text != NULL) {
        text[size] = '\0';
    }
    return text;
}

/* The instant of a DTSTART or DTEND, resolved with the calendar's own VTIMEZONE; 0 on failure. */
static int resolve(icalcomponent *calendar, icalproperty *property, time_t *instant, const char **tzid)
{
    struct icaltimetype local = icalvalue_get_datetime(icalproperty_get_value(property));
    icalparameter *parameter = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER);
    *tzid = "";
    if (icaltime_is_null_time(local) || local.is_date) {
        return 0;
    }
    if (icaltime_is_utc(local)) {
        *instant = icaltime_as_timet_with_zone(local, icaltimezone_get_utc_timezone());
        return 1;
    }
    if (parameter == NULL) {
        return 0; /* floating time: no instant at all */
    }
    *tzid = icalparameter_get_tzid(parameter);
    icaltimezone *zone = icalcomponent_get_timezone(calendar, *tzid);
    if (zone == NULL) {
        return 0;
    }
    struct icaltimetype utc = icaltime_convert_to_zone(icaltime_set_timezone(&local, zone),
                                                       icaltimezone_get_utc_timezone());
    *instant = icaltime_as_timet_with_zone(utc, icaltimezone_get_utc_timezone());
    return 1;
}

static void print_errors(icalcomponent *component)
{
    for (icalproperty *error = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY);
         error != NULL; error = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
        printf("ERROR\t%s\t%s\n", icalcomponent_kind_to_string(icalcomponent_isa(component)),
               icalproperty_get_xlicerror(error));
    }
    for (icalcomponent *inner = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT);
         inner != NULL; inner = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT)) {
        print_errors(inner);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FEED.ics\n", argv[0]);
        return 2;
    }
    char *text = read_all(argv[1]);
    if (text == NULL) {
        return 2;
    }
    icalcomponent *calendar = icalparser_parse_string(text);
    free(text);
    if (calendar == NULL || icalcomponent_isa(calendar) != ICAL_VCALENDAR_COMPONENT) {
        fprintf(stderr, "not a VCALENDAR: %s\n", icalerror_strerror(icalerrno));
        return 1;
    }
    int status = 0;
    for (icalcomponent *event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
         event != NULL; event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
        icalproperty *dtstart = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
        icalproperty *dtend = icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY);
        const char *uid = icalcomponent_get_uid(event);
        time_t start, end;
        const char *start_zone, *end_zone;
        if (uid == NULL || dtstart == NULL || dtend == NULL
            || !resolve(calendar, dtstart, &start, &start_zone) || !resolve(calendar, dtend, &end, &end_zone)) {
            fprintf(stderr, "event %s: no UID, or a DTSTART or DTEND without an instant in the feed's zones\n",
                    uid != NULL ? uid : "(no UID)");
            status = 1;
            continue;
        }
        printf("EVENT\t%s\t%lld\t%lld\t%s\n", uid, (long long)start, (long long)end, start_zone);
    }
    /* The restriction checks add X-LIC-ERROR properties beside those the parser added (they stop at the
       first component that fails, so a clean feed is the case worth asserting). */
    icalrestriction_check(calendar);
    print_errors(calendar);
    icalcomponent_free(calendar);
    return status;
}
