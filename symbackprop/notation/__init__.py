"""One vocabulary: names (:mod:`.naming`), Greek letters, accents, super- and subscripts,
number formats, quoting of user text, and the printers (:mod:`.printing`).
"""
