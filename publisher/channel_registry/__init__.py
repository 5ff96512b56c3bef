"""The account registry: each channel's registration (备案), its inspection clocks and their warnings, and closing
an account (停更) with its 停更公告 published first."""
