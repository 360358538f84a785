# The launcher: a small helper process that starts tasks on behalf of the dagline process (see process.ts).
#
# Why Perl: a spawn is a fork, and a fork costs what the forking process holds (page tables, copy-on-write
# faults). Dagline (70-130 MB) pays ~2.5 ms a spawn on its own thread, a Node helper (~45 MB) ~0.7 ms; this
# process holds ~6 MB (under 1 MB of it its own, the rest perl's shared code) and pays about what xargs pays (docs/design.md, "Launchers", has the figures). perl-base
# is part of every Debian and Ubuntu system and of macOS; where there is no perl, dagline spawns its tasks
# itself. Core modules of perl-base only, and few: every page of its own memory is copied into the page
# tables of every fork, and POSIX alone would more than double it (0.8 -> 2.1 MB).
#
# Protocol. Requests on stdin, one after another, each a list of NUL-terminated fields:
#   id, file, cwd, log, N, N args, M, M x (name, value), K, K names
#   = start `file` with `args` in `cwd`, its stdout and stderr appended to the file `log`. The environment is
#   the previous request's (the first: this process's own) with the M variables set and the K removed, so
#   that what every task shares crosses the pipe once.
# Replies on stdout, as frames: kind (1 byte), id (uint32 BE), payload length (uint32 BE), payload:
#   ready  id 0, no payload: ready for requests.
#   pid    "<pid> <log size before it started>": it runs, as the leader of its own process group.
#   error  "<stage>\0<errno name>\0<message>", stage cwd | log | spawn: not started; nothing more for this id.
#   exit   "<exit code> <signal number> <log size>" (one of the first two is "-"): it has ended, and its log
#          holds everything it wrote until then.
#
# Output. A task's stdout and stderr are one pipe (so they keep their order), read here and appended to its log
# file, which is created when the first byte comes: most short tasks print nothing, and creating a file is the
# dearest part of starting one (an inode; ~0.1 ms on ext4 without a journal, where freshly deleted inodes are
# skipped one by one). A task that prints nothing has no log file. What a process the task left running writes
# after the task's exit is appended as long as this process lives.
#
# It only starts processes and reports on them: timeouts, signals and process-group kills stay in dagline,
# which gets each task's pid. It ends when its stdin ends (dagline closed it, exited or was killed); tasks
# still running then are left alone. Signals do not end it (SIGKILL aside): dagline starts it in a session of
# its own, and it ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT, so that after a Ctrl-C to dagline's process
# group it is still there while dagline winds the tasks down.
use strict;
use warnings;
use Errno ();
use Fcntl ();

use constant { READY => 0, PID => 1, ERROR => 2, EXIT => 3 };
# A child's exit is noticed by the select() below returning early (EINTR on SIGCHLD). A SIGCHLD that comes
# between the last reap and the select is only seen at the next wake-up: this bounds how late that can be.
use constant REAP_EVERY_S => 0.02;
use constant CHUNK => 65536;
use constant DRAIN_READS => 16;
use constant WNOHANG => 1;    # the same on Linux, macOS and the BSDs
my @IGNORED = qw(INT TERM HUP QUIT);

$SIG{$_} = 'IGNORE' for @IGNORED;
$SIG{CHLD} = sub { };    # a handler, not IGNORE: children must stay waitable, and exec resets it
$SIG{PIPE} = 'IGNORE';   # a log file on a full disk or a gone dagline: errors, not death (reset in tasks)

my %running;    # pid => task: { id, path (of the log), out (the read end of its output), log (once opened), size }
my %reading;    # fileno => task, for every output pipe still open (also after its task exited)
my $input = '';
my @fields;

sub send_frame {
  my ($kind, $id, $payload) = @_;
  my $frame = pack('C N N/a*', $kind, $id, $payload);
  while (length $frame) {
    my $written = syswrite(STDOUT, $frame);
    if (!defined $written) {
      next if $!{EINTR};
      exit 0;    # dagline is gone
    }
    substr($frame, 0, $written) = '';
  }
}

sub errno_name {
  my ($number) = @_;
  local $! = $number;
  for my $name (keys %!) { return $name if $!{$name} }
  return '';
}

sub failure { my ($stage, $errno) = @_; local $! = $errno; return join("\0", $stage, errno_name($errno), "$!") }

# The log's folder must be there (created if need be) and writable before the task starts: a log that cannot
# be written is a start failure, not something found out at the first byte.
sub prepare_log_folder {
  my ($path) = @_;
  (my $folder = $path) =~ s{/[^/]*\z}{};
  if (!-e $folder) {
    require File::Path;
    eval { File::Path::make_path($folder) };
    return 0 unless -e $folder;
  }
  return ($! = Errno::ENOTDIR(), 0)[1] unless -d _;
  return ($! = Errno::EACCES(), 0)[1] unless -w _;
  return 1;
}

# Appends what the pipe holds to the log, without blocking; at the end of the pipe, closes both. A pipe holds
# 64 KiB or so, so what an exited task wrote takes a read or two; the bound is for a process it left behind,
# which may write for ever (the main loop reads on).
sub drain {
  my ($task) = @_;
  for (1 .. DRAIN_READS) {
    my $read = sysread($task->{out}, my $chunk, CHUNK);
    if (!defined $read) {
      next if $!{EINTR};
      return if $!{EAGAIN};
      $read = 0;    # a read error ends the output like its end
    }
    if ($read == 0) {
      delete $reading{fileno $task->{out}};
      close $task->{out};
      close $task->{log} if $task->{log};
      return;
    }
    $task->{log} //= open_log($task->{path});
    next unless $task->{log};    # not writable any more: the output is lost, the task goes on
    my $written = syswrite($task->{log}, $chunk);
    $task->{size} += $written if defined $written;
  }
}

sub open_log {
  my ($path) = @_;
  open(my $log, '>>', $path) or return undef;
  return $log;
}

# In the child, between fork and exec: anything that fails is reported on $report and ends the child (with
# exit rather than POSIX::_exit: every handle here is written with syswrite, so nothing buffered is flushed twice).
sub become_task {
  my ($report, $out, $cwd, $file, $args) = @_;
  my $fail = sub {
    syswrite($report, failure($_[0], $! + 0));
    CORE::exit(127);
  };
  $SIG{$_} = 'DEFAULT' for @IGNORED, 'PIPE';
  # Its own process group, in this process's session: a session of its own (dagline starts this process with
  # setsid), which has no terminal, so neither has the task (a prompt on /dev/tty fails at once).
  setpgrp(0, 0);
  chdir($cwd) or $fail->('cwd');
  open(STDIN, '<', '/dev/null') or $fail->('spawn');
  open(STDOUT, '>&', $out) or $fail->('spawn');
  open(STDERR, '>&', $out) or $fail->('spawn');
  { no warnings 'exec'; exec { $file } $file, @$args; }
  $fail->('spawn');
}

sub start {
  my ($id, $file, $cwd, $path, $args, $set, $unset) = @_;
  # The environment of this process is the tasks': set here once, not rebuilt in every child.
  delete @ENV{@$unset};
  @ENV{keys %$set} = values %$set;
  prepare_log_folder($path) or return send_frame(ERROR, $id, failure('log', $! + 0));
  # Perl sets close-on-exec on new descriptors: the pipes' ends are the task's only as its stdout and stderr,
  # and the report pipe stays open until the exec, so a failed start is told through it and a good one by its end.
  pipe(my $out, my $out_to_task) && pipe(my $report_in, my $report) or return send_frame(ERROR, $id, failure('spawn', $! + 0));
  my $pid = fork();
  return send_frame(ERROR, $id, failure('spawn', $! + 0)) unless defined $pid;
  become_task($report, $out_to_task, $cwd, $file, $args) if $pid == 0;
  close $report;
  close $out_to_task;
  my $failed = '';
  while (1) {
    my $read = sysread($report_in, $failed, 4096, length $failed);
    last if defined $read ? $read == 0 : !$!{EINTR};
  }
  close $report_in;
  if ($failed ne '') {
    waitpid($pid, 0);
    close $out;
    return send_frame(ERROR, $id, $failed);
  }
  my $flags = fcntl($out, Fcntl::F_GETFL(), 0);
  fcntl($out, Fcntl::F_SETFL(), $flags | Fcntl::O_NONBLOCK());
  my $task = { id => $id, path => $path, out => $out, size => -s $path || 0 };
  $running{$pid} = $task;
  $reading{fileno $out} = $task;
  send_frame(PID, $id, "$pid $task->{size}");
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $task = delete $running{$pid} or next;
    drain($task) if defined fileno $task->{out};
    my ($code, $signal) = ($? & 127) ? ('-', $? & 127) : ($? >> 8, '-');
    send_frame(EXIT, $task->{id}, "$code $signal $task->{size}");
  }
}

sub take_requests {
  while (@fields >= 5) {
    my $at = 4 + 1 + $fields[4];    # past id, file, cwd, log, N, the N args
    return if @fields <= $at;
    my $set_at = $at;
    $at += 1 + 2 * $fields[$at];
    return if @fields <= $at;
    my $unset_at = $at;
    $at += 1 + $fields[$at];
    return if @fields < $at;
    my @request = splice(@fields, 0, $at);
    my ($id, $file, $cwd, $log) = @request[0 .. 3];
    my @args = @request[5 .. $set_at - 1];
    my %set = @request[$set_at + 1 .. $unset_at - 1];
    my @unset = @request[$unset_at + 1 .. $at - 1];
    start($id, $file, $cwd, $log, \@args, \%set, \@unset);
  }
}

sub read_requests {
  my $read = sysread(STDIN, $input, CHUNK, length $input);
  if (!defined $read) {
    return if $!{EINTR} || $!{EAGAIN};
    exit 0;
  }
  exit 0 if $read == 0;    # dagline closed our stdin: done
  my @parts = split /\0/, $input, -1;
  $input = pop @parts;
  push @fields, @parts;
  take_requests();
}

send_frame(READY, 0, '');
while (1) {
  reap();
  my $wanted = '';
  vec($wanted, $_, 1) = 1 for fileno(STDIN), keys %reading;
  my $ready = select(my $readable = $wanted, undef, undef, %running ? REAP_EVERY_S : undef);
  next if $ready <= 0;    # a child ended (EINTR), or time to look
  for my $fd (keys %reading) { drain($reading{$fd}) if vec($readable, $fd, 1) }
  read_requests() if vec($readable, fileno(STDIN), 1);
}
