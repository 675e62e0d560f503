"""Reports over the sales: the dashboard, producers' settlement statements and payments, closing a fair,
charts and spreadsheet exports."""
