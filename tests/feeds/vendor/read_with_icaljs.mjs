// Reads an iCalendar feed on stdin with the vendored ical.js (what Thunderbird uses) and prints, for each
// VEVENT, its UID and its start and end as Unix seconds, worked out from the feed's own VTIMEZONEs, and the
// text a client shows: summary, location, description, URL, status, SEQUENCE and each alarm (the instant
// it fires as Unix seconds, and its text).
import { readFileSync } from "node:fs";
import ICAL from "./ical.js/ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const alarms = component.getAllSubcomponents("valarm").map((alarm) => {
    const trigger = alarm.getFirstPropertyValue("trigger");
    const fires = event.startDate.clone();
    fires.addDuration(trigger);
    return { fires: fires.toUnixTime(), description: alarm.getFirstPropertyValue("description") };
  });
  return {
    uid: event.uid,
    tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    start: event.startDate.toUnixTime(),
    end: event.endDate.toUnixTime(),
    summary: event.summary,
    location: event.location,
    description: event.description,
    url: component.getFirstPropertyValue("url"),
    status: component.getFirstPropertyValue("status"),
    sequence: event.sequence,
    alarms,
  };
});
process.stdout.write(JSON.stringify(events));
