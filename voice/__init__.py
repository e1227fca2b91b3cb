"""The hospital's own voice (issue 14 item 5): any fixed sentence of the hotline may be replaced, per
language, by a recording an administrator uploads; the hotline then ``<Play>``s it instead of ``<Say>``.
Without a recording, text-to-speech as before."""
