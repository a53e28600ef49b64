#!/usr/bin/perl -T
#WHMADDON:eximwatch:eximwatch mail report
#ACLS:all
#
# eximwatch's WHM plugin: the HTML report of `eximwatch report --format html`
# for a window chosen from a fixed list (?window=1h|6h|24h|7d|30d|90d,
# default 24h).  Read-only: it runs the report on the database, nothing
# else.  Root only, like WHM's own CGIs: cpsrvd runs it as root and sets
# REMOTE_USER to the WHM login; anyone else gets 403.
#
# The binary is run directly (exec with a list, never a shell) with a fixed
# set of arguments; the only value from the request is the window, taken
# from the list above after an exact comparison.  Every answer carries
# Content-Security-Policy, X-Content-Type-Options and Cache-Control;
# errors are text/plain and never repeat the request.
#
# Installed by `make install` as /usr/share/eximwatch/whm/index.cgi (the
# binary's path filled in), copied into
# /usr/local/cpanel/whostmgr/docroot/cgi/eximwatch/ by the register script.
use strict;
use warnings;
use POSIX ();

my $EXIMWATCH = '@SBINDIR@/eximwatch';
my @WINDOWS   = qw(1h 6h 24h 7d 30d 90d);
my $DEFAULT   = '24h';

my @SAFE = (
    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
      . "img-src data:; base-uri 'none'; form-action 'none'; "
      . "frame-ancestors 'self'",
    'X-Content-Type-Options: nosniff',
    'X-Frame-Options: SAMEORIGIN',
    'Referrer-Policy: no-referrer',
    'Cache-Control: no-store',
);

my $head_only = ( $ENV{REQUEST_METHOD} // '' ) eq 'HEAD';

sub respond {
    my ( $status, $type, $body, @extra ) = @_;
    binmode STDOUT;
    print "Status: $status\r\n";
    print "Content-Type: $type\r\n";
    print "$_\r\n" for @SAFE, @extra;
    print 'Content-Length: ', length($body), "\r\n\r\n";
    print $body unless $head_only;
    exit 0;
}

sub refuse {
    my ( $status, $msg, @extra ) = @_;
    respond( $status, 'text/plain; charset=utf-8', "eximwatch: $msg\n", @extra );
}

my $method = $ENV{REQUEST_METHOD} // '';
refuse( '405 Method Not Allowed', 'only GET and HEAD', 'Allow: GET, HEAD' )
  unless $method eq 'GET' || $method eq 'HEAD';
refuse( '403 Forbidden', 'the report is for root only' )
  unless ( $ENV{REMOTE_USER} // '' ) eq 'root';

# the query: empty, or exactly window=<one of the list>; anything else
# (another parameter, a repeated one, percent-escapes, an unknown window)
# is refused, and the input is not echoed
my $window = $DEFAULT;
my $qs     = $ENV{QUERY_STRING} // '';
if ( $qs ne '' ) {
    my $bad = "bad request: want ?window= one of @WINDOWS";
    refuse( '400 Bad Request', $bad ) if length($qs) > 64;
    my ( $k, $v ) = split /=/, $qs, 2;
    refuse( '400 Bad Request', $bad )
      unless defined $v && $k eq 'window' && grep { $_ eq $v } @WINDOWS;
    # untaint: the value is one of ours
    ($window) = grep { $_ eq $v } @WINDOWS;
}

# what eximwatch gets from the environment: a fixed PATH and locale; the
# database and time zone cpsrvd's environment names, if any (checked)
my %env = ( PATH => '/usr/sbin:/usr/bin:/sbin:/bin', LANG => 'C.UTF-8' );
if ( defined $ENV{EXIMWATCH_DB} && $ENV{EXIMWATCH_DB} =~ m{\A(/[A-Za-z0-9._/-]+)\z} ) {
    $env{EXIMWATCH_DB} = $1;
}
if ( defined $ENV{TZ} && $ENV{TZ} =~ m{\A([A-Za-z0-9_+:/-]{1,64})\z} ) {
    $env{TZ} = $1;
}

pipe( my $err_r, my $err_w ) or refuse( '500 Internal Server Error', "pipe: $!" );
my $pid = open( my $out, '-|' );
refuse( '500 Internal Server Error', "fork: $!" ) unless defined $pid;
if ( $pid == 0 ) {
    close $err_r;
    open( STDERR, '>&', $err_w ) or POSIX::_exit(71);
    open( STDIN, '<', '/dev/null' ) or POSIX::_exit(71);
    %ENV = %env;
    exec {$EXIMWATCH} $EXIMWATCH, 'report', '--since', $window, '--format', 'html'
      or do { print STDERR "cannot run $EXIMWATCH: $!\n"; POSIX::_exit(71) };
}
close $err_w;
binmode $out;
my $page = do { local $/; <$out> } // '';
close $out;
my $rc  = $? >> 8;
my $err = do { local $/; <$err_r> } // '';
close $err_r;

if ( $rc != 0 || $page !~ /\A<!DOCTYPE html>/ ) {
    $err =~ s/[^\x20-\x7e\n]/?/g;
    $err = substr( $err, 0, 4000 );
    refuse( $rc == 66 ? '503 Service Unavailable' : '500 Internal Server Error',
        "the report failed (exit $rc)\n$err" );
}

# the windows to choose from, at the top of the page (relative links: the
# same CGI in WHM's session)
my $nav = '<nav id="windows" style="margin:.5rem 0">Window:';
for my $w (@WINDOWS) {
    $nav .= $w eq $window ? " <b>$w</b>" : qq{ <a href="?window=$w">$w</a>};
}
$nav .= "</nav>\n";
$page =~ s/<body>\n/<body>\n$nav/;

respond( '200 OK', 'text/html; charset=utf-8', $page );
