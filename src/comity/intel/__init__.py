"""Intelligence: observables and their normalization, extraction from free text.

The observables library (:mod:`comity.intel.observables`) is pure Python with no database::

    from comity.intel.observables import extract, normalize

    normalize("phone-number", "0091 98765 43210", country="US").value   # '+919876543210'
"""
