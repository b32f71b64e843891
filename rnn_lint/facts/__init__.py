"""Placeholder while the facts layer is written."""
class FileFacts:
    def __init__(self, module):
        self.module = module
        self.modules = []

def build_facts(module):
    return FileFacts(module)
