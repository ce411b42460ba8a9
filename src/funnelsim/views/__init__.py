"""What people read: number formats, terminal tables, figures and the HTML report."""
