"""engine/algorithms"""
