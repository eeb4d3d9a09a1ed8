"""The benchmark (`make bench`) and the two implementations it compares with.

Not part of the product: nothing in impl/ imports from here.
"""
