#!/usr/bin/perl
###############################################################################
# /etc/csf/regex.custom.pm for eximwatch: lfd blocks the addresses and
# networks eximwatch decided to ban (its bans log, a banlog sink).
# A complete file for a server without custom regexes of its own; to add
# eximwatch to an existing regex.custom.pm, copy the lines of
# regex.custom.pm.snippet into it, where the comments below say.
# See README in this directory.
###############################################################################

sub custom_line {
	my $line = shift;
	my $lgfile = shift;

# Do not edit before this point
###############################################################################
#
# Custom regex matching: CUSTOMx_LOG in csf.conf names the log a match is
# for.  Each match returns:
#   (text for the block message, the address, an alphanumeric id for the
#    rule, the trigger level, the ports (used if LF_SELECT is on),
#    "1" for a permanent block or the seconds of a temporary one (used if
#    LF_TRIGGER is "0"), "1" to block at Cloudflare too (CF_ENABLE))
#

	# eximwatch: one line per decision in its bans log (a banlog sink),
	# e.g. "2026-12-05T14:10:19Z eximwatch ban 192.0.2.66 duration=14400
	# threshold=brute_force_ip host=mail1.example.com events=6"; an address
	# or a network (2001:db8:1:2::/64), blocked for `duration` seconds at
	# the first line.  CUSTOM1_LOG: the csf.conf setting that names the file.
	if (($globlogs{CUSTOM1_LOG}{$lgfile}) and ($line =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ eximwatch ban ([0-9a-fA-F:.]+(?:\/\d{1,3})?) duration=(\d+) threshold=([\w.-]+) host=\S+ events=\d+(?: |$)/)) {
		return ("eximwatch $3 from", $1, "eximwatch", "1", "", "$2", "0");
	}

# If the matches in this file are not syntactically correct for perl then lfd
# will fail with an error.  Log lines are attacker-controlled elsewhere: this
# one matches only eximwatch's own lines, whose address eximwatch wrote in
# canonical form after its never-act checks.
###############################################################################
# Do not edit beyond this point

	return 0;
}

1;
