/* The smoke suite's test server: listens on 127.0.0.1:PORT and answers every connection
   with "HTTP/1.0 200 OK". Options:
     --child PORT2    first starts a copy of itself on PORT2, detached (DETACHED_PROCESS |
                      CREATE_NEW_PROCESS_GROUP): a grandchild that no console event reaches,
                      which only the keeper's job can end;
     --ignore-break   ignores CTRL_BREAK and CTRL_C (a server stuck in its shutdown), so
                      only TerminateJobObject ends it. */
#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static BOOL WINAPI ignore(DWORD event) { (void)event; return TRUE; }

static void start_child(const char *port, int ignore_break) {
  char self[MAX_PATH], line[MAX_PATH + 64];
  STARTUPINFOA si; PROCESS_INFORMATION pi;
  GetModuleFileNameA(NULL, self, MAX_PATH);
  snprintf(line, sizeof line, "\"%s\" %s%s", self, port, ignore_break ? " --ignore-break" : "");
  ZeroMemory(&si, sizeof si); si.cb = sizeof si;
  if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP,
                      NULL, NULL, &si, &pi)) {
    fprintf(stderr, "cannot start the child: %lu\n", GetLastError());
    exit(3);
  }
  printf("started child pid %lu for port %s\n", pi.dwProcessId, port);
  CloseHandle(pi.hThread); CloseHandle(pi.hProcess);
}

int main(int argc, char **argv) {
  const char *port = NULL, *child = NULL; int ignore_break = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--child") && i + 1 < argc) child = argv[++i];
    else if (!strcmp(argv[i], "--ignore-break")) ignore_break = 1;
    else port = argv[i];
  }
  if (!port) { fprintf(stderr, "usage: server PORT [--child PORT2] [--ignore-break]\n"); return 2; }
  setvbuf(stdout, NULL, _IONBF, 0);
  if (ignore_break) SetConsoleCtrlHandler(ignore, TRUE);
  if (child) start_child(child, ignore_break);
  WSADATA wsa; WSAStartup(MAKEWORD(2, 2), &wsa);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a; ZeroMemory(&a, sizeof a);
  a.sin_family = AF_INET; a.sin_port = htons((u_short)atoi(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) {
    fprintf(stderr, "cannot listen on %s: %d\n", port, WSAGetLastError());
    return 1;
  }
  printf("pid %lu listening on 127.0.0.1:%s\n", GetCurrentProcessId(), port);
  for (;;) {
    SOCKET c = accept(s, NULL, NULL);
    if (c == INVALID_SOCKET) continue;
    const char *answer = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
    send(c, answer, (int)strlen(answer), 0);
    closesocket(c);
  }
}
