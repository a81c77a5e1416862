"""The documents a procurement produces once its evaluation is done: each bidder's assessment
summary (Procurement Act 2023 s.50, Procurement Regulations 2024 reg 31), the OCDS release,
and the links between them.

Pure: no Flask, no database. The application layer gathers the records (the ranking stored at
closing, the scorecards it rests on, the declarations) and these modules render them; every
figure in a document is one the ranking holds.
"""
