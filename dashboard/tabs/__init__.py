"""dashboard/tabs"""
