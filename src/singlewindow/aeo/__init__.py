"""Authorised Economic Operators: the national programme and the mutual recognition of
partners' AEOs (the ASEAN AEO MRA), with the benefits they bring at the border."""
