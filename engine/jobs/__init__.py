"""engine/jobs"""
