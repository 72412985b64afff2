"""Enterprise identity (kernel): single sign-on per organisation on allauth's socialaccount,
claimed email domains, and SCIM 2.0 provisioning that maps a directory's users to memberships.

Its own Django app (label ``identity``) inside the kernel: it imports the kernel and no app. The
attributes a directory carries (department, title, manager, level) reach ``programs`` through
the kernel's ``member_attributes_changed`` signal."""
