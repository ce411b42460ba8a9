"""The funnel's decisions, as pure functions of a lead, its draws and the time: no SimPy inside.

* :mod:`.reach`: whether an SDR's attempt reaches the buyer, and how response delay lowers it;
* :mod:`.qualify`: a reached buyer disqualified, qualified (SQL) or rejected;
* :mod:`.trust`: sales trust, the effort and delay it sets, the attempts it owes;
* :mod:`.handoff`: an AE accepting or declining an SQL, and a buyer's patience in line;
* :mod:`.opportunity`: an opportunity's path through its stages and how it resolves;
* :mod:`.recycle`: which outcomes return a lead to nurture.

Both the fast model (:mod:`funnelsim.model.fast`) and the reference model
(:mod:`funnelsim.model.reference`) decide through these.
"""
