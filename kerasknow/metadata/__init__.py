"""Reading what ML Metadata recorded about kerasknow's pipeline runs."""
