/**
 * The mark Django's makemessages extracts from the UI's string tables (xgettext keyword
 * pgettext:1c,2): the key becomes the entry's msgctxt and the English text its msgid.
 * At run time it only pairs them up.
 */
export function pgettext(key, english) {
  return [key, english];
}
