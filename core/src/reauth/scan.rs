//! Reading a terminal stream: the authorize URL, the issued token, device codes.
