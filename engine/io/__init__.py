"""engine/io"""
