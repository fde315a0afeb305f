// Python's `re` classes for str patterns, spelled out for JS regexes with the `u` flag.

/** Python `\s`: the characters for which str.isspace() is true. */
export const PY_SPACE = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';

/** Python `\w`: letters, numbers (str.isalnum()) and the underscore. */
export const PY_WORD = '[\\p{L}\\p{N}_]';

/** Python `.` without DOTALL: anything but a line feed. */
export const PY_DOT = '[^\\n]';
