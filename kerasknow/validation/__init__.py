"""Knowledge-validation types and checks shared by every task family (findings, label counts)."""
