"""Page flow: navigation between pages and server-side drafts."""
