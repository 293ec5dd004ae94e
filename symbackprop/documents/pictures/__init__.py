"""The pictures of a document: a layered network's forward and backward diagrams
(:mod:`.diagram`) and any graph's forward and reversed circuit (:mod:`.circuit`)."""
