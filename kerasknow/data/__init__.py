"""Knowledge data readers: raw files in, records out, every unusable row reported."""
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import Reject, RejectsReport
from kerasknow.data.split import assign_split
