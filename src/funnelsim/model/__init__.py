"""The SimPy model of the funnel, one module per stage; :mod:`.model` wires them."""
