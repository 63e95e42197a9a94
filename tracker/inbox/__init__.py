"""The inbox: what needs each person today, gathered from the parts (a layer above them)."""
