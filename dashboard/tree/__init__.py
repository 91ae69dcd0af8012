"""dashboard/tree"""
