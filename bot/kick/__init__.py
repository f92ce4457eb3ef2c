"""The moderation domain: what a kick is, who may do it, how it is carried out and recorded.

Nothing in here knows about Slack payloads or HTTP; the listeners translate between the two.
"""
