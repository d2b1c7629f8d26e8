"""The duty roster (排班): which security staff are on duty when, per community."""
