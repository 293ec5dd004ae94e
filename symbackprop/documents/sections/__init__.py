"""The sections every story can add: the numbers step by step (:mod:`.substituted`),
the mini-batch (:mod:`.batch`), the three-way check (:mod:`.threeway`) and one step of
gradient descent (:mod:`.descent`). Each is a function of the story, which it reads
(its derivation, values and options) and adds its blocks to."""
