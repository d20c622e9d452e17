"""Pure rules of the clinic: plain values in, plain values out; no Flask, no database, no clock reads."""
